import { DashboardPage } from '../features/dashboard/components/dashboard-page';
import { FirstRunCard } from '../features/onboarding/components/first-run-card';

/** The start page: the guided first-run card (while there is something left to set up) above the dashboard. */
export function HomeRoute() {
  return <DashboardPage intro={<FirstRunCard />} />;
}
