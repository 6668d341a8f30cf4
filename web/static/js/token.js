// The device token of a screen (board, kiosk): given once in the URL
// fragment (#token=…, which never reaches the server or its logs), then kept
// in localStorage under key, or in memory when storage is off.

/**
 * deviceToken returns a function giving the screen's token, after moving a
 * token found in the URL fragment into storage.
 * @param {string} key the localStorage key
 * @returns {() => string}
 */
export function deviceToken(key) {
  let memory = "";
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    memory = decodeURIComponent(m[1]);
    try {
      localStorage.setItem(key, memory);
    } catch {
      // storage off: the token lasts for this page only
    }
    history.replaceState(null, "", location.pathname + location.search);
  }
  return () => {
    try {
      return localStorage.getItem(key) || memory;
    } catch {
      return memory;
    }
  };
}
