import { PlaceholderPage } from '../../../components/placeholder-page';

export function SettingsPage() {
  return (
    <PlaceholderPage
      title="Settings"
      description="Gateway address, data directory, start at login and other preferences."
    />
  );
}
