import { create } from 'zustand';
import { getDesktopBridge } from '../lib/bridge';

/** Where the admin token came from: the desktop bridge, or the sign-in form of the web console. */
export type SessionMode = 'desktop' | 'browser';

export type Session =
  | { status: 'loading' }
  | { status: 'signed-out'; notice?: string; rotatedToken?: string }
  | { status: 'signed-in'; mode: SessionMode; apiBase: string; token: string }
  | { status: 'failed'; error: string };

interface SessionStore {
  session: Session;
  /** Desktop: asks the bridge for the gateway URL and token. Browser: restores a token from this tab. */
  initialize(): Promise<void>;
  /** Web console only: keeps the token for this tab (sessionStorage), never across browser restarts. */
  signIn(token: string): void;
  signOut(notice?: string): void;
  /**
   * After the admin token was rotated: the web console forgets the old token and asks for the new one (shown once
   * on the sign-in screen so it can be copied); the desktop app fetches the new one from the main process.
   */
  tokenRotated(newToken: string): Promise<void>;
}

const TOKEN_KEY = 'omixa.adminToken';

export const useSessionStore = create<SessionStore>()((set, get) => ({
  session: { status: 'loading' },

  async initialize() {
    const bridge = getDesktopBridge();
    if (bridge) {
      try {
        const { url, adminToken } = await bridge.getGatewayInfo();
        set({ session: { status: 'signed-in', mode: 'desktop', apiBase: url, token: adminToken } });
      } catch (err) {
        set({ session: { status: 'failed', error: err instanceof Error ? err.message : String(err) } });
      }
      return;
    }
    const token = sessionStorage.getItem(TOKEN_KEY);
    set({
      session: token
        ? { status: 'signed-in', mode: 'browser', apiBase: window.location.origin, token }
        : { status: 'signed-out' },
    });
  },

  signIn(token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    set({ session: { status: 'signed-in', mode: 'browser', apiBase: window.location.origin, token } });
  },

  signOut(notice) {
    sessionStorage.removeItem(TOKEN_KEY);
    set({ session: { status: 'signed-out', notice } });
  },

  async tokenRotated(newToken) {
    if (getDesktopBridge()) return get().initialize();
    sessionStorage.removeItem(TOKEN_KEY);
    set({ session: { status: 'signed-out', notice: 'The admin token was rotated. Sign in with the new token.', rotatedToken: newToken } });
  },
}));
