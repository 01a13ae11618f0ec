interface PlaceholderPageProps {
  title: string;
  description: string;
}

/** Stands in for a page whose UI is not built yet. */
export function PlaceholderPage({ title, description }: PlaceholderPageProps) {
  return (
    <section className="page">
      <h1>{title}</h1>
      <p className="muted">{description}</p>
      <p className="placeholder-note">This page is coming soon.</p>
    </section>
  );
}
