import cliProgress from 'cli-progress';

export type ProgressCallback = (done: number, total: number) => void;

/**
 * Runs a long step with a progress bar on stderr (drawn only on a terminal, so logs and CI stay clean).
 * The step reports through the callback the library functions take.
 */
export async function withProgress<T>(
  label: string,
  unit: string,
  step: (onProgress: ProgressCallback) => Promise<T>,
): Promise<T> {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label.padEnd(12)} [{bar}] {percentage}% | {value}/{total} ${unit} | {eta_formatted} left`,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  try {
    return await step((done, total) => {
      if (!started) {
        bar.start(total, done);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done);
      }
    });
  } finally {
    if (started) bar.stop();
  }
}
