import { useCallback, useState, type ReactNode } from 'react';
import { CodeBlock } from '../../../components/code-block';
import { useRequest } from '../../../hooks/use-request';
import { gatewayOrigin } from '../../../lib/api-client';
import { chatSnippet, clientBaseUrl, SNIPPET_LANGUAGES, type SnippetLanguage } from '../../../lib/snippets';
import { getSetupProgress } from '../api/get-setup-progress';
import { useFirstRunStore } from '../stores/first-run-store';

interface StepProps {
  index: number;
  title: string;
  done: boolean;
  current: boolean;
  children: ReactNode;
}

function Step({ index, title, done, current, children }: StepProps) {
  return (
    <li className={`step${done ? ' step-done' : ''}${current ? ' step-current' : ''}`} aria-current={current ? 'step' : undefined}>
      <span className="step-index" aria-hidden="true">
        {done ? '✓' : index}
      </span>
      <div className="step-body">
        <h3>
          {title}
          {done && <span className="visually-hidden"> (done)</span>}
        </h3>
        {children}
      </div>
    </li>
  );
}

/**
 * The guided setup shown while there is no deployment (and until dismissed once everything is done):
 * add a deployment → create a key → paste the SDK snippet.
 */
export function FirstRunCard() {
  const load = useCallback((signal: AbortSignal) => getSetupProgress(signal), []);
  const dismissed = useFirstRunStore((store) => store.dismissed);
  // Once dismissed the card only has to notice the last deployment going away.
  const progress = useRequest(load, { pollMs: dismissed ? 30_000 : 5_000 });
  const dismiss = useFirstRunStore((store) => store.dismiss);
  const [language, setLanguage] = useState<SnippetLanguage>('python');

  if (progress.status !== 'success') return null;
  const { deploymentCount, activeKeyCount, servedModels } = progress.data;
  const hasDeployment = deploymentCount > 0;
  const hasKey = activeKeyCount > 0;
  if (hasDeployment && dismissed) return null;

  const model = servedModels[0] ?? 'gpt-4o-mini';
  const snippet = chatSnippet(language, clientBaseUrl(gatewayOrigin()), { model, messages: [{ role: 'user', content: 'Hello!' }] });

  return (
    <section className="panel first-run" aria-labelledby="first-run-title" data-testid="first-run">
      <header className="panel-header">
        <div>
          <h2 id="first-run-title">Get started</h2>
          <p className="muted small">Three steps to your first call through the gateway.</p>
        </div>
        {hasDeployment && (
          <button type="button" className="button-ghost" onClick={dismiss}>
            {hasKey ? 'Done' : 'Hide'}
          </button>
        )}
      </header>
      <ol className="steps">
        <Step index={1} title="Add a deployment" done={hasDeployment} current={!hasDeployment}>
          <p className="muted small">An upstream endpoint (Azure OpenAI, OpenAI, Anthropic, Gemini…), its key and its limits.</p>
          {!hasDeployment && (
            <a className="button" href="#/deployments/new">
              Add your first deployment
            </a>
          )}
        </Step>
        <Step index={2} title="Create a client key" done={hasKey} current={hasDeployment && !hasKey}>
          <p className="muted small">Your apps use it instead of the upstream key. It is shown once.</p>
          {hasDeployment && !hasKey && (
            <a className="button" href="#/keys/new">
              Create a key
            </a>
          )}
        </Step>
        <Step index={3} title="Paste the snippet" done={false} current={hasDeployment && hasKey}>
          <p className="muted small">Point the OpenAI SDK at the gateway; replace the placeholder with your key.</p>
          {hasDeployment && hasKey && (
            <>
              <div className="segmented" role="group" aria-label="Snippet language">
                {SNIPPET_LANGUAGES.map((l) => (
                  <button key={l.id} type="button" aria-pressed={language === l.id} onClick={() => setLanguage(l.id)}>
                    {l.label}
                  </button>
                ))}
              </div>
              <CodeBlock code={snippet} label={`${SNIPPET_LANGUAGES.find((l) => l.id === language)?.label} snippet`} />
            </>
          )}
        </Step>
      </ol>
    </section>
  );
}
