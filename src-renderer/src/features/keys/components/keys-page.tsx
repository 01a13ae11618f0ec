import { PlaceholderPage } from '../../../components/placeholder-page';

export function KeysPage() {
  return (
    <PlaceholderPage
      title="Keys"
      description="Client keys that local apps and teammates use to call the gateway."
    />
  );
}
