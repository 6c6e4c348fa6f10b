// Reading results documents given on the command line (`--from results.json`): the harness's
// reader, which checks them against the results schema.
import type { ResultsDocument } from '../../reports/results/types.ts';
import { readResults } from '../../reports/results/writer.ts';

export async function readResultsDocument(file: string): Promise<ResultsDocument> {
  return readResults(file);
}
