import { PlaceholderPage } from '../../../components/placeholder-page';

export function CatalogPage() {
  return (
    <PlaceholderPage
      title="Catalog"
      description="Models available through the gateway, their capabilities and prices."
    />
  );
}
