import type { ComponentType } from 'react';
import { CatalogPage } from '../features/catalog/components/catalog-page';
import { DeploymentsPage } from '../features/deployments/components/deployments-page';
import { KeysPage } from '../features/keys/components/keys-page';
import { MediaPage } from '../features/media/components/media-page';
import { PlaygroundPage } from '../features/playground/components/playground-page';
import { SettingsPage } from '../features/settings/components/settings-page';
import { SupportPage } from '../features/support/components/support-page';
import { UsagePage } from '../features/usage/components/usage-page';
import { WalletPage } from '../features/wallet/components/wallet-page';
import { HomeRoute } from './home-route';

export interface PageDefinition {
  /** Also the hash route: `#/deployments`. */
  id: string;
  label: string;
  Component: ComponentType;
}

/** The left navigation, in order. The first page is the default route. */
export const PAGES: readonly PageDefinition[] = [
  { id: 'dashboard', label: 'Dashboard', Component: HomeRoute },
  { id: 'deployments', label: 'Deployments', Component: DeploymentsPage },
  { id: 'catalog', label: 'Catalog', Component: CatalogPage },
  { id: 'playground', label: 'Playground', Component: PlaygroundPage },
  { id: 'keys', label: 'Keys', Component: KeysPage },
  { id: 'wallet', label: 'Wallet', Component: WalletPage },
  { id: 'usage', label: 'Usage', Component: UsagePage },
  { id: 'media', label: 'Media', Component: MediaPage },
  { id: 'support', label: 'Support', Component: SupportPage },
  { id: 'settings', label: 'Settings', Component: SettingsPage },
];

export function findPage(id: string): PageDefinition {
  return PAGES.find((page) => page.id === id) ?? PAGES[0];
}
