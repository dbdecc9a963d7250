import path from 'node:path';

/**
 * Paths of the local pipeline's files in the state dir. Apart from the
 * pipeline so that `logs` and `dlq` find their files without loading the
 * event source mapping.
 */
export const pipelinePaths = (stateDir: string) => ({
  buildDir: path.join(stateDir, 'build'),
  esmDir: path.join(stateDir, 'esm'),
  statusFile: path.join(stateDir, 'esm', 'status.json'),
  runnerLog: path.join(stateDir, 'esm', 'runner.log'),
  dlqDir: path.join(stateDir, 'dlq'),
  logDir: path.join(stateDir, 'logs'),
});
