import { PlaceholderPage } from '../../../components/placeholder-page';

export function WalletPage() {
  return (
    <PlaceholderPage
      title="Wallet"
      description="Balances, holds and the ledger of every charge."
    />
  );
}
