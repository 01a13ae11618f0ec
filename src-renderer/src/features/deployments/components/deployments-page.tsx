import { PlaceholderPage } from '../../../components/placeholder-page';

export function DeploymentsPage() {
  return (
    <PlaceholderPage
      title="Deployments"
      description="Upstream deployments the gateway routes to, with their keys, regions and limits."
    />
  );
}
