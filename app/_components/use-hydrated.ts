// Controls stay disabled until React has hydrated them: before that a click or a chosen file
// would reach no handler (and a native form submit could put a password in the URL).
import { useEffect, useState } from 'react';

/** False in the server HTML and the first render, true once the component is interactive. */
export function useHydrated(): boolean {
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  return hydrated;
}
