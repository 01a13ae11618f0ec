import { create } from 'zustand';
import type { UsageRecord } from '../../../types/gateway';
import type { ToolCall } from '../api/playground-api';

export type ReasoningEffort = '' | 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh';

export interface PlaygroundParams {
  model: string;
  /** Account id billed for the calls; '' = the default account. */
  account: string;
  system: string;
  /** Text fields, so an empty one means "not sent". */
  temperature: string;
  maxTokens: string;
  reasoningEffort: ReasoningEffort;
  /** `service_tier: "priority"`, honoured by deployments with Fast mode on. */
  fastMode: boolean;
  stream: boolean;
  /** Optional `tools` array as JSON. */
  tools: string;
}

export interface UserTurn {
  id: string;
  role: 'user';
  content: string;
}

export interface AssistantTurn {
  id: string;
  role: 'assistant';
  content: string;
  toolCalls: ToolCall[];
  status: 'waiting' | 'streaming' | 'done' | 'stopped' | 'error';
  error?: string;
  requestId: string | null;
  /** Wall-clock time as the browser saw it: request sent → first text, and → end. */
  startedAt: number;
  firstTokenMs?: number;
  totalMs?: number;
  model: string;
  usage?: UsageRecord;
  usageError?: string;
}

export type Turn = UserTurn | AssistantTurn;

interface PlaygroundStore {
  params: PlaygroundParams;
  turns: Turn[];
  draft: string;
  setParam<K extends keyof PlaygroundParams>(key: K, value: PlaygroundParams[K]): void;
  setDraft(draft: string): void;
  addTurns(...turns: Turn[]): void;
  updateAssistant(id: string, update: (turn: AssistantTurn) => Partial<AssistantTurn>): void;
  clear(): void;
}

/** The playground conversation and its settings; kept while the app runs so leaving the page loses nothing. */
export const usePlaygroundStore = create<PlaygroundStore>()((set) => ({
  params: { model: '', account: '', system: '', temperature: '', maxTokens: '', reasoningEffort: '', fastMode: false, stream: true, tools: '' },
  turns: [],
  draft: '',
  setParam: (key, value) => set((s) => ({ params: { ...s.params, [key]: value } })),
  setDraft: (draft) => set({ draft }),
  addTurns: (...turns) => set((s) => ({ turns: [...s.turns, ...turns] })),
  updateAssistant: (id, update) =>
    set((s) => ({ turns: s.turns.map((t) => (t.id === id && t.role === 'assistant' ? { ...t, ...update(t) } : t)) })),
  clear: () => set({ turns: [] }),
}));
