import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/app';
import { applyThemePreference, readThemePreference } from './lib/theme';
import './styles.css';

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element');

applyThemePreference(readThemePreference());

createRoot(container).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
