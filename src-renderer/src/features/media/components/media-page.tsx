import { PlaceholderPage } from '../../../components/placeholder-page';

export function MediaPage() {
  return (
    <PlaceholderPage
      title="Media"
      description="Image, audio and video jobs and their results."
    />
  );
}
