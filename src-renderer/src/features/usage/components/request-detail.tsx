import { useCallback } from 'react';
import { Dialog } from '../../../components/dialog';
import { RequestView } from '../../../components/states';
import { useRequest } from '../../../hooks/use-request';
import { formatCount, formatDateTime, formatDuration, formatUsd } from '../../../lib/format';
import type { UsageRecord } from '../../../types/gateway';
import { getRequest } from '../api/usage-api';
import { useUsageUiStore } from '../stores/usage-ui-store';

const money = new Set(['cost_micros', 'hold_micros', 'shortfall_micros']);
const durations = new Set(['latency_ms', 'ttft_ms']);

function display(key: string, value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (money.has(key)) return formatUsd(value as number);
  if (durations.has(key)) return formatDuration(value as number);
  if (key === 'created_at') return formatDateTime(value as number);
  if (typeof value === 'number') return formatCount(value);
  return String(value);
}

function RecordView({ id }: { id: string }) {
  const request = useRequest(useCallback((signal: AbortSignal) => getRequest(id, signal), [id]));
  return (
    <RequestView request={request}>
      {(record: UsageRecord) => (
        <dl className="record">
          {Object.entries(record).map(([key, value]) => (
            <div key={key}>
              <dt>{key}</dt>
              <dd className={typeof value === 'number' ? 'num' : undefined}>{display(key, value)}</dd>
            </div>
          ))}
        </dl>
      )}
    </RequestView>
  );
}

/** The full usage row of one request, as stored (no prompt or answer text is stored). */
export function RequestDetail() {
  const inspecting = useUsageUiStore((s) => s.inspecting);
  const inspect = useUsageUiStore((s) => s.inspect);
  return (
    <Dialog open={inspecting !== null} title={`Request ${inspecting ?? ''}`} onClose={() => inspect(null)} wide>
      {inspecting && <RecordView id={inspecting} />}
    </Dialog>
  );
}
