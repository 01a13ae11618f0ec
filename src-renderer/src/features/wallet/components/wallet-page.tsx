import { useEffect, useState, type FormEvent } from 'react';
import { Dialog } from '../../../components/dialog';
import { Field } from '../../../components/field';
import { PageHeader } from '../../../components/page-header';
import { EmptyState, InlineError, RequestView } from '../../../components/states';
import { useAction, useRequest } from '../../../hooks/use-request';
import { formatUsd } from '../../../lib/format';
import type { Account } from '../../../types/gateway';
import { adjust, createAccount, listAccounts, topUp } from '../api/wallet-api';
import { useLedger } from '../hooks/use-ledger';
import { useWalletUiStore } from '../stores/wallet-ui-store';
import { LedgerTable } from './ledger-table';
import { MoneyForm } from './money-form';

function AccountsTable({ accounts, selected, onSelect }: { accounts: Account[]; selected: string | null; onSelect: (id: string) => void }) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid="accounts">
        <thead>
          <tr>
            <th scope="col">Account</th>
            <th scope="col" className="num">
              Balance
            </th>
            <th scope="col" className="num">
              Locked
            </th>
            <th scope="col" className="num">
              Available
            </th>
          </tr>
        </thead>
        <tbody>
          {accounts.map((a) => (
            <tr key={a.id} className={a.id === selected ? 'row-selected' : undefined} aria-selected={a.id === selected}>
              <td>
                <button type="button" className="link-button" onClick={() => onSelect(a.id)} aria-pressed={a.id === selected}>
                  {a.name}
                </button>
              </td>
              <td className="num">{formatUsd(a.wallet.balance_micros)}</td>
              <td className="num">{formatUsd(a.wallet.locked_micros)}</td>
              <td className="num" data-testid={`available-${a.name}`}>
                {formatUsd(a.wallet.available_micros)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function AccountDetail({ account, onChanged }: { account: Account; onChanged: () => void }) {
  const ledger = useLedger(account.id);
  const { refreshHead } = ledger;
  // Balance changes (calls being billed elsewhere) mean new ledger rows: fetch the newest page.
  useEffect(() => {
    void refreshHead();
  }, [account.wallet.balance_micros, account.wallet.locked_micros, refreshHead]);

  const afterMove = () => {
    onChanged();
    void refreshHead();
  };
  return (
    <section className="stack" aria-labelledby="wallet-detail-title">
      <header className="panel-header">
        <h2 id="wallet-detail-title">{account.name}</h2>
        <span className="muted small">
          <code>{account.id}</code>
        </span>
      </header>
      <div className="stats stats-3">
        <div className="stat">
          <div className="stat-label">Balance</div>
          <div className="stat-value num">{formatUsd(account.wallet.balance_micros)}</div>
        </div>
        <div className="stat">
          <div className="stat-label">Locked by requests in flight</div>
          <div className="stat-value num">{formatUsd(account.wallet.locked_micros)}</div>
        </div>
        <div className="stat">
          <div className="stat-label">Available</div>
          <div className="stat-value num" data-testid="wallet-available">
            {formatUsd(account.wallet.available_micros)}
          </div>
        </div>
      </div>
      <div className="grid-2">
        <MoneyForm
          title="Top up"
          submitLabel="Top up"
          hint="Credited at once"
          onSubmit={async (micros, note) => {
            await topUp(account.id, micros, note);
            afterMove();
          }}
        />
        <MoneyForm
          title="Adjustment"
          submitLabel="Apply adjustment"
          allowNegative
          noteRequired
          hint="Negative to debit, positive to credit"
          onSubmit={async (micros, note) => {
            await adjust(account.id, micros, note);
            afterMove();
          }}
        />
      </div>
      <h3>Ledger</h3>
      <LedgerTable ledger={ledger} />
    </section>
  );
}

function NewAccountForm({ onCreated }: { onCreated: (account: Account) => void }) {
  const [name, setName] = useState('');
  const create = useAction(createAccount);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const account = await create.run(name.trim());
    if (account) onCreated(account);
  };
  return (
    <form className="form" onSubmit={(e) => void submit(e)}>
      <Field label="Name" hint="A team member or a project; unique">
        <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={64} autoComplete="off" />
      </Field>
      <InlineError message={create.error} />
      <div className="button-row">
        <button type="submit" disabled={create.pending || !name.trim()}>
          Create account
        </button>
      </div>
    </form>
  );
}

/** Accounts and their wallets: balances, top-ups and adjustments in USD, the ledger of each. */
export function WalletPage() {
  const accounts = useRequest(listAccounts, { pollMs: 4_000 });
  const { selected, select, creatingAccount, setCreatingAccount } = useWalletUiStore();

  useEffect(() => () => useWalletUiStore.getState().setCreatingAccount(false), []);
  useEffect(() => {
    if (accounts.status === 'success' && accounts.data.length > 0 && !accounts.data.some((a) => a.id === selected)) select(accounts.data[0].id);
  }, [accounts, selected, select]);

  return (
    <section className="page">
      <PageHeader
        title="Wallet"
        description="Every account has one wallet in micro-USD; calls hold their maximum cost, capture the actual cost and release the rest."
        refreshing={accounts.refreshing}
        actions={
          <button type="button" className="button-secondary" onClick={() => setCreatingAccount(true)}>
            New account
          </button>
        }
      />
      <RequestView request={accounts} loadingLabel="Loading accounts…">
        {(list) => {
          if (list.length === 0) return <EmptyState title="No accounts">The gateway creates a default account at first start.</EmptyState>;
          const account = list.find((a) => a.id === selected);
          return (
            <div className="wallet-layout">
              <AccountsTable accounts={list} selected={selected} onSelect={select} />
              {account && <AccountDetail key={account.id} account={account} onChanged={accounts.reload} />}
            </div>
          );
        }}
      </RequestView>
      <Dialog open={creatingAccount} title="New account" onClose={() => setCreatingAccount(false)}>
        <NewAccountForm
          onCreated={(account) => {
            setCreatingAccount(false);
            select(account.id);
            accounts.reload();
          }}
        />
      </Dialog>
    </section>
  );
}
