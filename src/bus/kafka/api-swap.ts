// How our faster request/response codecs (fetch-fast.ts, produce-fast.ts) get into @platformatic/kafka's
// clients without forking it: a client asks for an API's implementation with `this[kGetApi](name, cb)`
// (a public symbol) every time it sends; one client instance's method is wrapped so that when the library
// picks `library` (its implementation of the one version we cover), `replacement` is handed back instead.
// Any other version passes through untouched. The library looks itself up again after listing the
// broker's APIs (an inner this[kGetApi] call, already swapped), so the replacement passing through the
// outer wrapper is expected and left as it is.

import { type API, type Callback, kGetApi } from '@platformatic/kafka';

/** Whether a client's last lookup of the API handed out our replacement. */
export interface ApiSwap {
  readonly active: boolean;
}

interface ApiPicker {
  [kGetApi]<A extends unknown[], R>(name: string, callback: Callback<API<A, R>>): void;
}

export const swapApi = (client: object, name: string, library: object, replacement: object): ApiSwap => {
  const picker = client as ApiPicker;
  const original = picker[kGetApi].bind(picker);
  const state = { active: false };
  picker[kGetApi] = <A extends unknown[], R>(asked: string, callback: Callback<API<A, R>>): void => {
    if (asked !== name) {
      original<A, R>(asked, callback);
      return;
    }
    original<A, R>(asked, (error, api) => {
      if (error === null && api === library) {
        state.active = true;
        callback(null, replacement as API<A, R>);
        return;
      }
      if (error === null && api !== replacement) state.active = false;
      callback(error, api);
    });
  };
  return state;
};
