import { useState, type FormEvent } from 'react';
import { Field } from '../../../components/field';
import { InlineError } from '../../../components/states';
import { useAction } from '../../../hooks/use-request';
import type { Deployment } from '../../../types/gateway';
import { createDeployment, updateDeployment, type DeploymentInput, type DeploymentPatch } from '../api/deployments-api';

const PROVIDERS = [
  { id: 'azure', label: 'Azure OpenAI', endpoint: 'https://NAME.openai.azure.com' },
  { id: 'openai', label: 'OpenAI', endpoint: 'https://api.openai.com/v1' },
  { id: 'openai-compatible', label: 'OpenAI-compatible', endpoint: 'https://host/v1' },
  { id: 'anthropic', label: 'Anthropic', endpoint: 'https://api.anthropic.com' },
  { id: 'gemini', label: 'Google Gemini', endpoint: 'https://generativelanguage.googleapis.com' },
  { id: 'vertex', label: 'Google Vertex AI', endpoint: 'https://REGION-aiplatform.googleapis.com' },
] as const;

interface FormState {
  provider: string;
  name: string;
  model: string;
  endpoint: string;
  deployment: string;
  apiKey: string;
  apiVersion: string;
  region: string;
  project: string;
  location: string;
  rpm: string;
  tpm: string;
  hourlyTokens: string;
  weight: string;
  priority: string;
  fastMode: boolean;
  enabled: boolean;
}

function initialState(existing?: Deployment): FormState {
  const options = (existing?.options ?? {}) as Record<string, unknown>;
  return {
    provider: existing?.provider ?? 'azure',
    name: existing?.name ?? '',
    model: existing?.model ?? '',
    endpoint: existing?.endpoint ?? '',
    deployment: existing?.deployment ?? '',
    apiKey: '',
    apiVersion: existing?.apiVersion ?? '',
    region: existing?.region ?? '',
    project: typeof options.project === 'string' ? options.project : '',
    location: typeof options.location === 'string' ? options.location : '',
    rpm: String(existing?.rpm ?? 0),
    tpm: String(existing?.tpm ?? 0),
    hourlyTokens: String(existing?.hourlyTokens ?? 0),
    weight: String(existing?.weight ?? 1),
    priority: String(existing?.priority ?? 0),
    fastMode: existing?.fastMode ?? false,
    enabled: existing?.enabled ?? true,
  };
}

/** A whole non-negative number from a text field; `undefined` when blank, NaN when not a number. */
function count(text: string): number | undefined {
  if (text.trim() === '') return undefined;
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
}

interface DeploymentFormProps {
  /** Absent when adding. */
  existing?: Deployment;
  modelIds: { id: string; modality: string }[];
  onSaved: (name: string, note?: string) => void;
  onCancel: () => void;
}

/**
 * Add or edit a deployment. The upstream secret is typed once and sent in the request body; it lives only in this
 * form's state, which is dropped when the dialog closes. On edit a blank secret keeps the stored one.
 */
export function DeploymentForm({ existing, modelIds, onSaved, onCancel }: DeploymentFormProps) {
  const [form, setForm] = useState<FormState>(() => initialState(existing));
  const [invalid, setInvalid] = useState<string | null>(null);
  const editing = existing !== undefined;
  const provider = PROVIDERS.find((p) => p.id === form.provider) ?? PROVIDERS[0];
  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => setForm((f) => ({ ...f, [key]: value }));

  const save = useAction(async (input: DeploymentInput | DeploymentPatch) => {
    if (editing) return updateDeployment(existing.name, input);
    return createDeployment(input as DeploymentInput);
  });

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setInvalid(null);
    const numbers = { rpm: count(form.rpm), tpm: count(form.tpm), hourly_tokens: count(form.hourlyTokens), weight: count(form.weight), priority: count(form.priority) };
    const bad = Object.entries(numbers).find(([, v]) => Number.isNaN(v));
    if (bad) return setInvalid(`${bad[0].replace('_', ' ')} must be a whole number (0 = unlimited).`);
    if (!editing && !form.apiKey) return setInvalid('The API key is required.');
    const options = form.provider === 'vertex' ? { project: form.project.trim() || undefined, location: form.location.trim() || undefined } : undefined;
    const common: DeploymentPatch = {
      endpoint: form.endpoint.trim(),
      deployment: form.deployment.trim() || undefined,
      api_version: form.apiVersion.trim() || null,
      region: form.region.trim() || null,
      ...numbers,
      fast_mode: form.fastMode,
      enabled: form.enabled,
      ...(options ? { options } : {}),
      ...(form.apiKey ? { api_key: form.apiKey } : {}),
    };
    const input: DeploymentInput | DeploymentPatch = editing
      ? common
      : { ...common, name: form.name.trim(), provider: form.provider, model: form.model.trim(), deployment: form.deployment.trim() || form.model.trim() };
    const saved = await save.run(input);
    if (saved) {
      setForm((f) => ({ ...f, apiKey: '' }));
      const unpriced = (saved as { added_unpriced_model?: boolean }).added_unpriced_model;
      onSaved(saved.name, unpriced ? `${saved.model} is not in the catalog: it was added unpriced (cost 0). Set its price in the Catalog.` : undefined);
    }
  };

  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-label={editing ? `Edit ${existing.name}` : 'Add deployment'}>
      <div className="form-grid">
        <Field label="Provider">
          <select value={form.provider} disabled={editing} onChange={(e) => set('provider', e.target.value)}>
            {PROVIDERS.map((p) => (
              <option key={p.id} value={p.id}>
                {p.label}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Name" hint="Unique, e.g. azure-eastus-4o">
          <input value={form.name} disabled={editing} required onChange={(e) => set('name', e.target.value)} autoComplete="off" />
        </Field>
        <Field label="Model" hint="The public model id clients ask for">
          <input value={form.model} disabled={editing} required list="deployment-model-ids" onChange={(e) => set('model', e.target.value)} autoComplete="off" />
        </Field>
        <datalist id="deployment-model-ids">
          {modelIds.map((m) => (
            <option key={m.id} value={m.id}>
              {m.modality}
            </option>
          ))}
        </datalist>
        <Field label="Upstream deployment" hint="Azure deployment or upstream model name (default: the model)">
          <input value={form.deployment} onChange={(e) => set('deployment', e.target.value)} placeholder={form.model} autoComplete="off" />
        </Field>
        <Field label="Endpoint" className="span-2" hint={`As the provider's console shows it, e.g. ${provider.endpoint}`}>
          <input value={form.endpoint} required onChange={(e) => set('endpoint', e.target.value)} placeholder={provider.endpoint} autoComplete="off" inputMode="url" />
        </Field>
        <Field
          label="API key"
          className="span-2"
          hint={
            editing
              ? `Stored as ${existing.secret ?? '••••'}. Leave blank to keep it; a new key replaces it and is never shown again.`
              : 'Kept in the secret vault, never shown again (only its last characters).'
          }
        >
          <input type="password" value={form.apiKey} onChange={(e) => set('apiKey', e.target.value)} autoComplete="new-password" required={!editing} spellCheck={false} />
        </Field>
        {form.provider === 'azure' && (
          <Field label="API version" hint="Default 2024-10-21; v1 for the /openai/v1 surface">
            <input value={form.apiVersion} onChange={(e) => set('apiVersion', e.target.value)} placeholder="2024-10-21" autoComplete="off" />
          </Field>
        )}
        <Field label="Region" hint="Optional, for your own bookkeeping (Vertex: the location)">
          <input value={form.region} onChange={(e) => set('region', e.target.value)} autoComplete="off" />
        </Field>
        {form.provider === 'vertex' && (
          <>
            <Field label="Google Cloud project">
              <input value={form.project} onChange={(e) => set('project', e.target.value)} autoComplete="off" />
            </Field>
            <Field label="Location">
              <input value={form.location} onChange={(e) => set('location', e.target.value)} placeholder="us-central1" autoComplete="off" />
            </Field>
          </>
        )}
      </div>
      <fieldset className="form-grid form-grid-5">
        <legend>Limits and routing</legend>
        <Field label="RPM" hint="0 = unlimited">
          <input value={form.rpm} onChange={(e) => set('rpm', e.target.value)} inputMode="numeric" />
        </Field>
        <Field label="TPM" hint="0 = unlimited">
          <input value={form.tpm} onChange={(e) => set('tpm', e.target.value)} inputMode="numeric" />
        </Field>
        <Field label="Tokens per hour" hint="0 = unlimited">
          <input value={form.hourlyTokens} onChange={(e) => set('hourlyTokens', e.target.value)} inputMode="numeric" />
        </Field>
        <Field label="Weight">
          <input value={form.weight} onChange={(e) => set('weight', e.target.value)} inputMode="numeric" />
        </Field>
        <Field label="Priority" hint="Lower is tried first">
          <input value={form.priority} onChange={(e) => set('priority', e.target.value)} inputMode="numeric" />
        </Field>
      </fieldset>
      <div className="checks">
        <label className="check">
          <input type="checkbox" checked={form.fastMode} onChange={(e) => set('fastMode', e.target.checked)} />
          Fast mode (priority processing: forwards <code>service_tier: "priority"</code>)
        </label>
        <label className="check">
          <input type="checkbox" checked={form.enabled} onChange={(e) => set('enabled', e.target.checked)} />
          Enabled
        </label>
      </div>
      <InlineError message={invalid ?? save.error} />
      <div className="button-row">
        <button type="submit" disabled={save.pending}>
          {save.pending ? 'Saving…' : editing ? 'Save changes' : 'Add deployment'}
        </button>
        <button type="button" className="button-secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
