import type { ReactNode } from 'react';

interface PageHeaderProps {
  title: string;
  description?: ReactNode;
  /** Buttons on the right (e.g. "Add deployment"). */
  actions?: ReactNode;
  /** Shown next to the title while data refreshes in the background. */
  refreshing?: boolean;
}

/** The title row of a page. */
export function PageHeader({ title, description, actions, refreshing }: PageHeaderProps) {
  return (
    <header className="page-header">
      <div>
        <h1>
          {title}
          {refreshing && <span className="live-dot" title="Refreshing" aria-hidden="true" />}
        </h1>
        {description && <p className="muted page-description">{description}</p>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </header>
  );
}
