import { useState } from 'react';
import { CodeBlock } from '../../../components/code-block';
import { gatewayOrigin } from '../../../lib/api-client';
import { chatSnippet, clientBaseUrl, SNIPPET_LANGUAGES, type ChatSnippetRequest, type SnippetLanguage } from '../../../lib/snippets';
import { buildChatRequest } from '../hooks/use-chat';
import { usePlaygroundStore } from '../stores/playground-store';

/** "Copy as curl / Python / Node": the current conversation and parameters, pointed at the local gateway. */
export function CodeSnippets() {
  const params = usePlaygroundStore((s) => s.params);
  const turns = usePlaygroundStore((s) => s.turns);
  const draft = usePlaygroundStore((s) => s.draft);
  const [language, setLanguage] = useState<SnippetLanguage>('curl');

  let request: ChatSnippetRequest;
  try {
    const body = buildChatRequest(params, turns, draft.trim() || (turns.length === 0 ? 'Hello!' : undefined));
    delete body.stream_options;
    request = body as ChatSnippetRequest;
  } catch {
    request = { model: params.model, messages: [{ role: 'user', content: draft || 'Hello!' }] };
  }
  const code = chatSnippet(language, clientBaseUrl(gatewayOrigin()), { ...request, model: request.model || 'MODEL' });
  const label = SNIPPET_LANGUAGES.find((l) => l.id === language)!.label;

  return (
    <details className="panel details snippets">
      <summary>Copy as curl / Python / Node</summary>
      <div className="segmented" role="group" aria-label="Snippet language">
        {SNIPPET_LANGUAGES.map((l) => (
          <button key={l.id} type="button" aria-pressed={language === l.id} onClick={() => setLanguage(l.id)}>
            {l.label}
          </button>
        ))}
      </div>
      <CodeBlock code={code} label={`${label} · key placeholder omx_live_…`} copyLabel={`Copy as ${label}`} />
    </details>
  );
}
