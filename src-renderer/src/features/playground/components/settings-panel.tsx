import { useCallback, useEffect } from 'react';
import { Field } from '../../../components/field';
import { InlineError } from '../../../components/states';
import { useRequest } from '../../../hooks/use-request';
import { formatUsd } from '../../../lib/format';
import { listAccounts, listChatModels } from '../api/playground-api';
import { usePlaygroundStore, type ReasoningEffort } from '../stores/playground-store';

const EFFORTS: { value: ReasoningEffort; label: string }[] = [
  { value: '', label: 'Model default' },
  { value: 'none', label: 'none' },
  { value: 'minimal', label: 'minimal' },
  { value: 'low', label: 'low' },
  { value: 'medium', label: 'medium' },
  { value: 'high', label: 'high' },
  { value: 'xhigh', label: 'xhigh' },
];

/** Model, account, system prompt and sampling parameters. */
export function SettingsPanel() {
  const params = usePlaygroundStore((s) => s.params);
  const setParam = usePlaygroundStore((s) => s.setParam);
  const models = useRequest(useCallback((signal: AbortSignal) => listChatModels(signal), []), { pollMs: 15_000 });
  const accounts = useRequest(useCallback((signal: AbortSignal) => listAccounts(signal), []), { pollMs: 10_000 });

  // Start on the first served model, and move off a model that lost its deployments.
  useEffect(() => {
    if (models.status !== 'success') return;
    const served = models.data.filter((m) => m.deployments.length > 0);
    if (served.length > 0 && !served.some((m) => m.id === params.model)) setParam('model', served[0].id);
  }, [models, params.model, setParam]);

  const selected = models.status === 'success' ? models.data.find((m) => m.id === params.model) : undefined;
  const served = models.status === 'success' ? models.data.filter((m) => m.deployments.length > 0) : [];
  const unserved = models.status === 'success' ? models.data.filter((m) => m.deployments.length === 0) : [];
  let toolsError: string | null = null;
  if (params.tools.trim()) {
    try {
      if (!Array.isArray(JSON.parse(params.tools))) toolsError = 'Tools must be a JSON array.';
    } catch {
      toolsError = 'Tools are not valid JSON.';
    }
  }

  return (
    <section className="panel playground-settings" aria-label="Chat settings">
      <Field label="Model" hint={selected ? (selected.deployments.length ? `Served by ${selected.deployments.join(', ')}` : 'No enabled deployment serves this model') : undefined}>
        <select value={params.model} onChange={(e) => setParam('model', e.target.value)} disabled={models.status !== 'success'}>
          {models.status === 'loading' && <option value="">Loading models…</option>}
          {models.status === 'success' && served.length === 0 && <option value="">No chat model has a deployment</option>}
          {served.length > 0 && (
            <optgroup label="With a deployment">
              {served.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.id} ({m.deployments.length} deployment{m.deployments.length === 1 ? '' : 's'})
                </option>
              ))}
            </optgroup>
          )}
          {unserved.length > 0 && (
            <optgroup label="No deployment">
              {unserved.map((m) => (
                <option key={m.id} value={m.id} disabled>
                  {m.id}
                </option>
              ))}
            </optgroup>
          )}
        </select>
      </Field>
      {models.status === 'error' && <InlineError message={models.error.message} />}
      <Field label="Account" hint="Billed for these calls">
        <select value={params.account} onChange={(e) => setParam('account', e.target.value)}>
          <option value="">default</option>
          {accounts.status === 'success' &&
            accounts.data
              .filter((a) => a.name !== 'default')
              .map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name} — {formatUsd(a.wallet.available_micros)} available
                </option>
              ))}
        </select>
      </Field>
      {accounts.status === 'success' && (
        <p className="small muted" data-testid="playground-balance">
          Available: {formatUsd((accounts.data.find((a) => (params.account ? a.id === params.account : a.name === 'default'))?.wallet.available_micros) ?? 0)}
        </p>
      )}
      <Field label="System prompt">
        <textarea rows={3} value={params.system} onChange={(e) => setParam('system', e.target.value)} placeholder="You are a helpful assistant." />
      </Field>
      <div className="form-grid">
        <Field label="Temperature" hint="0–2; blank = default">
          <input type="number" min={0} max={2} step={0.1} value={params.temperature} onChange={(e) => setParam('temperature', e.target.value)} />
        </Field>
        <Field label="Max tokens" hint="Blank = model cap">
          <input type="number" min={1} step={1} value={params.maxTokens} onChange={(e) => setParam('maxTokens', e.target.value)} />
        </Field>
      </div>
      <Field label="Reasoning effort" hint="Mapped to what the model family accepts">
        <select value={params.reasoningEffort} onChange={(e) => setParam('reasoningEffort', e.target.value as ReasoningEffort)}>
          {EFFORTS.map((e) => (
            <option key={e.value} value={e.value}>
              {e.label}
            </option>
          ))}
        </select>
      </Field>
      <div>
        <label className="check">
          <input type="checkbox" checked={params.fastMode} onChange={(e) => setParam('fastMode', e.target.checked)} aria-describedby="fast-mode-hint" />
          Fast mode
        </label>
        <small id="fast-mode-hint" className="muted small block check-hint">
          Sends <code>service_tier: "priority"</code>
          {selected && !selected.fastModeAvailable ? '; no deployment of this model has Fast mode on, so it is dropped' : ''}.
        </small>
      </div>
      <label className="check">
        <input type="checkbox" checked={params.stream} onChange={(e) => setParam('stream', e.target.checked)} />
        Stream the answer
      </label>
      <details className="details">
        <summary>Tools (function calling)</summary>
        <Field label="Tools JSON" hint="An OpenAI tools array; calls the model makes are shown in the answer">
          <textarea
            rows={5}
            className="mono"
            value={params.tools}
            onChange={(e) => setParam('tools', e.target.value)}
            placeholder='[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]'
            spellCheck={false}
          />
        </Field>
        <InlineError message={toolsError} />
      </details>
    </section>
  );
}
