/**
 * Application shell: navigation rail, the current screen, status bar. Creates the long-lived objects once (API
 * client, Dexie, stores) and hands them down; screens never create their own.
 */
import { useEffect, useMemo, useState } from 'react';
import type { CallOutput } from '../shared/api.js';
import { createClient, type StudioClient } from '../shared/client.js';
import { NavRail, type ScreenId } from './components/NavRail.js';
import { StatusBar } from './components/StatusBar.js';
import { StudioDb } from './db.js';
import { AnnotateScreen } from './screens/AnnotateScreen.js';
import { DatasetsScreen } from './screens/DatasetsScreen.js';
import { JobsScreen } from './screens/JobsScreen.js';
import { ModelsScreen } from './screens/ModelsScreen.js';
import { ReviewScreen } from './screens/ReviewScreen.js';
import { DatasetsStore } from './state/datasetsStore.js';
import { ViewerStore } from './viewer/ViewerStore.js';

interface Services {
  client: StudioClient;
  db: StudioDb;
  datasets: DatasetsStore;
  viewer: ViewerStore;
}

function createServices(): Services | { error: string } {
  try {
    const client = createClient();
    const db = new StudioDb();
    return { client, db, datasets: new DatasetsStore(client, db), viewer: new ViewerStore() };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

export function App() {
  const services = useMemo(createServices, []);
  if ('error' in services) {
    return (
      <div className="fatal" data-testid="fatal-error">
        <h2>Defect Studio cannot start</h2>
        <p>{services.error}</p>
      </div>
    );
  }
  return <Workstation {...services} />;
}

function Workstation({ client, db, datasets, viewer }: Services) {
  const [screen, setScreen] = useState<ScreenId>('datasets');
  const [info, setInfo] = useState<CallOutput<'app.info'> | null>(null);
  const [infoError, setInfoError] = useState<string | null>(null);

  useEffect(() => {
    client.invoke('app.info', {}).then(setInfo, (e: unknown) => setInfoError(e instanceof Error ? e.message : String(e)));
    void db.loadUi().then((ui) => viewer.setShowMask(ui.showMask));
    const unsubscribe = viewer.subscribe((next, prev) => {
      if (next.showMask !== prev.showMask) void db.saveUi({ showMask: next.showMask });
    });
    void datasets.init();
    return unsubscribe;
  }, [client, db, datasets, viewer]);

  return (
    <div className="app" data-testid="app" data-mode={client.mode}>
      <NavRail current={screen} onSelect={setScreen} />
      <main className="screen">
        {screen === 'datasets' ? (
          <DatasetsScreen client={client} datasets={datasets} viewer={viewer} />
        ) : screen === 'review' ? (
          <ReviewScreen client={client} />
        ) : screen === 'annotate' ? (
          <AnnotateScreen client={client} db={db} datasets={datasets} />
        ) : screen === 'models' ? (
          <ModelsScreen client={client} />
        ) : (
          <JobsScreen client={client} />
        )}
      </main>
      <StatusBar info={info} error={infoError} />
    </div>
  );
}
