import { Badge, type BadgeTone } from '../../../components/badge';
import { formatUsd } from '../../../lib/format';
import { useLiveFeedStore } from '../stores/live-feed-store';

const TONE: Record<string, BadgeTone> = { completed: 'ok', failed: 'danger', cancelled: 'warn', expired: 'warn', in_progress: 'info', queued: 'neutral' };

/** Video and music jobs as they move through queued → in progress → completed or failed, live from the feed. */
export function LiveJobs() {
  const jobs = useLiveFeedStore((store) => store.jobs);
  if (jobs.length === 0) return null;
  return (
    <section className="panel" aria-labelledby="jobs-title" data-testid="live-jobs">
      <header className="panel-header">
        <h2 id="jobs-title">Media jobs</h2>
        <a href="#/media" className="muted">
          Gallery
        </a>
      </header>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Job</th>
            <th scope="col">Model</th>
            <th scope="col">Account</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">
              Cost
            </th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <tr key={job.id}>
              <td className="mono">{job.preview_url ? <a href={job.preview_url}>{job.id}</a> : job.id}</td>
              <td>{job.model}</td>
              <td>{job.account_name ?? '-'}</td>
              <td>
                <Badge tone={TONE[job.status]}>
                  {job.status}
                  {job.status === 'in_progress' && typeof job.progress === 'number' ? ` ${Math.round(job.progress)}%` : ''}
                </Badge>
              </td>
              <td className="num">{formatUsd(job.cost_micros)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
