import { PlaceholderPage } from '../../../components/placeholder-page';

export function UsagePage() {
  return (
    <PlaceholderPage
      title="Usage"
      description="Requests, tokens and spend over time, per key and per model."
    />
  );
}
