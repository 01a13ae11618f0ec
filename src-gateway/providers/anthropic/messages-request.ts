import { gatewayError } from '../../errors.js';
import type { IRContentPart, IRMessage, IRRequest, IRTool, IRToolChoice } from '../../protocols/ir.js';
import { imageSourceOf, type AnthropicBlock, type AnthropicTextBlock, type AnthropicImageBlock } from '../../protocols/anthropic-wire.js';

/** Output cap sent when neither the request nor the catalog gives one: Anthropic refuses a call without `max_tokens`. */
export const DEFAULT_ANTHROPIC_MAX_TOKENS = 4096;

/** Anthropic-native content parts an Anthropic client may have carried through the IR; forwarded as they are. */
const NATIVE_PARTS = new Set(['document']);

export interface MessagesRequestOptions {
  /** The upstream model name (the deployment's `deployment`). */
  model: string;
  /** The catalog model's output cap, used when the request sets none. */
  maxOutputTokens?: number | null;
}

interface Turn {
  role: 'user' | 'assistant';
  content: AnthropicBlock[];
}

const invalid = (message: string, param: string) => gatewayError('invalid_request', message, { param });

function textBlock(part: { text: string; cache_control?: unknown }): AnthropicTextBlock {
  const block: AnthropicTextBlock = { type: 'text', text: part.text };
  // Carried through the IR from an Anthropic client, so prompt caching keeps working Anthropic to Anthropic.
  if (part.cache_control && typeof part.cache_control === 'object') block.cache_control = part.cache_control as AnthropicTextBlock['cache_control'];
  return block;
}

/** IR content (string or parts) → Anthropic blocks. Empty texts are dropped: Anthropic refuses empty text blocks. */
function contentBlocks(content: IRMessage['content'], param: string): (AnthropicTextBlock | AnthropicImageBlock | AnthropicBlock)[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return content.length > 0 ? [{ type: 'text', text: content }] : [];
  const blocks: AnthropicBlock[] = [];
  content.forEach((part: IRContentPart, i) => {
    const where = `${param}[${i}]`;
    if (part.type === 'text' && typeof part.text === 'string') {
      if (part.text.length > 0) blocks.push(textBlock(part as { text: string; cache_control?: unknown }));
    } else if (part.type === 'image_url') {
      const url = (part as { image_url?: { url?: unknown } }).image_url?.url;
      const source = typeof url === 'string' ? imageSourceOf(url) : undefined;
      if (!source) throw invalid('Images must be a base64 data URL or an http(s) URL.', `${where}.image_url.url`);
      blocks.push({ type: 'image', source });
    } else if (NATIVE_PARTS.has(part.type)) {
      blocks.push(part as AnthropicBlock);
    } else {
      throw invalid(`Content parts of type '${part.type}' are not supported by Anthropic deployments.`, `${where}.type`);
    }
  });
  return blocks;
}

function systemText(content: IRMessage['content'], param: string): AnthropicTextBlock[] {
  return contentBlocks(content, param).filter((block): block is AnthropicTextBlock => {
    if (block.type !== 'text') throw invalid('System messages may only contain text.', param);
    return true;
  });
}

function toolUseBlocks(message: IRMessage, param: string): AnthropicBlock[] {
  return (message.tool_calls ?? []).map((call, j) => {
    const args = call.function?.arguments ?? '';
    let input: unknown;
    try {
      input = args.trim() === '' ? {} : JSON.parse(args);
    } catch {
      throw invalid('Tool call arguments must be a JSON object.', `${param}.tool_calls[${j}].function.arguments`);
    }
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw invalid('Tool call arguments must be a JSON object.', `${param}.tool_calls[${j}].function.arguments`);
    }
    return { type: 'tool_use', id: call.id, name: call.function.name, input };
  });
}

function toolResultBlock(message: IRMessage, param: string): AnthropicBlock {
  if (typeof message.tool_call_id !== 'string' || message.tool_call_id.length === 0) {
    throw invalid("Tool messages need the 'tool_call_id' of the call they answer.", `${param}.tool_call_id`);
  }
  const block: Record<string, unknown> = { type: 'tool_result', tool_use_id: message.tool_call_id };
  const content = typeof message.content === 'string' ? message.content : contentBlocks(message.content, `${param}.content`);
  if (content.length > 0) block.content = content;
  return block as AnthropicBlock;
}

/**
 * The conversation as Anthropic turns: system and developer messages lifted to `system`, tool results sent as
 * `tool_result` blocks of a user turn, and consecutive turns of one role merged (all results of one assistant turn
 * must arrive in the single user turn that follows it).
 */
function conversation(messages: readonly IRMessage[]): { system: AnthropicTextBlock[]; turns: Turn[] } {
  const system: AnthropicTextBlock[] = [];
  const turns: Turn[] = [];
  const push = (role: Turn['role'], content: AnthropicBlock[]): void => {
    if (content.length === 0) return;
    const last = turns[turns.length - 1];
    if (last && last.role === role) last.content.push(...content);
    else turns.push({ role, content });
  };
  messages.forEach((message, i) => {
    const param = `messages[${i}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(...systemText(message.content, `${param}.content`));
        break;
      case 'user':
        push('user', contentBlocks(message.content, `${param}.content`));
        break;
      case 'assistant':
        push('assistant', [...contentBlocks(message.content, `${param}.content`), ...toolUseBlocks(message, param)]);
        break;
      case 'tool':
        push('user', [toolResultBlock(message, param)]);
        break;
      default:
        throw invalid(`Messages of role '${String(message.role)}' are not supported by Anthropic deployments.`, `${param}.role`);
    }
  });
  return { system, turns };
}

function tools(list: readonly IRTool[]): Record<string, unknown>[] {
  return list.map((tool, i) => {
    if (tool.type !== 'function' || !tool.function?.name) throw invalid("Only tools of type 'function' are supported by Anthropic deployments.", `tools[${i}].type`);
    const out: Record<string, unknown> = { name: tool.function.name, input_schema: tool.function.parameters ?? { type: 'object', properties: {} } };
    if (tool.function.description) out.description = tool.function.description;
    return out;
  });
}

function toolChoice(choice: IRToolChoice | null | undefined, parallel: unknown): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  if (choice === 'auto') out = { type: 'auto' };
  else if (choice === 'required') out = { type: 'any' };
  else if (choice === 'none') return { type: 'none' };
  else if (choice && typeof choice === 'object' && choice.function?.name) out = { type: 'tool', name: choice.function.name };
  if (parallel === false) out = { ...(out ?? { type: 'auto' }), disable_parallel_tool_use: true };
  return out;
}

/**
 * An IR (OpenAI chat) request as an Anthropic Messages request body. Anthropic needs `max_tokens`, takes
 * `temperature` only up to 1 and stop strings as `stop_sequences`; OpenAI-only fields (response_format,
 * reasoning_effort, n, …) have no Messages equivalent and are not sent.
 */
export function toMessagesRequest(body: Record<string, unknown>, options: MessagesRequestOptions): Record<string, unknown> {
  const request = body as IRRequest;
  if (!Array.isArray(request.messages)) throw invalid("Missing required parameter: 'messages'.", 'messages');
  const { system, turns } = conversation(request.messages);
  const out: Record<string, unknown> = {
    model: options.model,
    max_tokens: request.max_completion_tokens ?? request.max_tokens ?? options.maxOutputTokens ?? DEFAULT_ANTHROPIC_MAX_TOKENS,
    messages: turns,
  };
  if (system.length > 0) out.system = system.some((block) => block.cache_control) ? system : system.map((block) => block.text).join('\n\n');
  // OpenAI's range is 0–2, Anthropic's 0–1: the nearest value Anthropic accepts.
  if (typeof request.temperature === 'number') out.temperature = Math.min(1, Math.max(0, request.temperature));
  if (typeof request.top_p === 'number') out.top_p = request.top_p;
  if (typeof request.stop === 'string') out.stop_sequences = [request.stop];
  else if (Array.isArray(request.stop) && request.stop.length > 0) out.stop_sequences = request.stop;
  if (Array.isArray(request.tools) && request.tools.length > 0) {
    out.tools = tools(request.tools);
    const choice = toolChoice(request.tool_choice, request.parallel_tool_calls);
    if (choice) out.tool_choice = choice;
  }
  if (typeof request.user === 'string' && request.user.length > 0) out.metadata = { user_id: request.user };
  if (request.stream === true) out.stream = true;
  return out;
}
