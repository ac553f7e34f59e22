import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
// The stylesheets in cascade order: base and shell first, then one per component or view.
import './styles/base.css';
import './styles/shell.css';
import './styles/forms.css';
import './styles/states.css';
import './styles/overlays.css';
import './styles/plate.css';
import './styles/site.css';
import './styles/tables.css';
import './styles/map.css';
import './styles/reports.css';
import './styles/leaderboard.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
