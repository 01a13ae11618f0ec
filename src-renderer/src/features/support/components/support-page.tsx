import { PlaceholderPage } from '../../../components/placeholder-page';

export function SupportPage() {
  return (
    <PlaceholderPage
      title="Support"
      description="Diagnostics, logs and how to get help."
    />
  );
}
