import { create } from 'zustand';
import type { DeploymentTestResult } from '../api/deployments-api';

export type Editor = { mode: 'add' } | { mode: 'edit'; name: string } | null;

export type TestState = { status: 'running' } | { status: 'done'; result: DeploymentTestResult; at: number } | { status: 'failed'; error: string };

interface DeploymentsUiStore {
  editor: Editor;
  /** Name of the deployment waiting for a remove confirmation. */
  removing: string | null;
  tests: Record<string, TestState>;
  /** A one-line confirmation after a save ("Added az-east"). */
  notice: string | null;
  openEditor(editor: Editor): void;
  askRemove(name: string | null): void;
  setTest(name: string, state: TestState): void;
  setNotice(notice: string | null): void;
}

export const useDeploymentsUiStore = create<DeploymentsUiStore>()((set) => ({
  editor: null,
  removing: null,
  tests: {},
  notice: null,
  openEditor: (editor) => set({ editor }),
  askRemove: (removing) => set({ removing }),
  setTest: (name, state) => set((s) => ({ tests: { ...s.tests, [name]: state } })),
  setNotice: (notice) => set({ notice }),
}));
