import { PageHeader } from '../../../components/page-header';
import { useChat } from '../hooks/use-chat';
import { usePlaygroundStore } from '../stores/playground-store';
import { CodeSnippets } from './code-snippets';
import { Composer } from './composer';
import { Conversation } from './conversation';
import { SettingsPanel } from './settings-panel';

/** Chat with any served model through the gateway, billed to a chosen account; shows cost and latency per turn. */
export function PlaygroundPage() {
  const { send, stop } = useChat();
  const busy = usePlaygroundStore((s) => s.turns.some((t) => t.role === 'assistant' && (t.status === 'waiting' || t.status === 'streaming')));
  return (
    <section className="page">
      <PageHeader title="Playground" description="Try models through the gateway's own routing, billing and streaming." />
      <div className="playground">
        <div className="playground-side">
          <SettingsPanel />
        </div>
        <div className="playground-main panel">
          <Conversation />
          <Composer busy={busy} onSend={send} onStop={stop} />
        </div>
      </div>
      <CodeSnippets />
    </section>
  );
}
