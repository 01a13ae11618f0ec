import { PlaceholderPage } from '../../../components/placeholder-page';

export function PlaygroundPage() {
  return (
    <PlaceholderPage
      title="Playground"
      description="Try a model through the gateway and see the raw request and stream."
    />
  );
}
