/**
 * Signed in or not: the sign-in form (token pasted, or taken from a `#token=` link) and the switch
 * between it and the app. Any 401 from any call brings the form back.
 */
import { ApiError, errorMessage } from './api.js';
import { createSession, endSession, takeTokenFromUrl } from './auth.js';
import type { Shell } from './shell.js';
import { toast } from './toast.js';

export interface SessionHooks {
  /** Checks the session with an authenticated call; a 401 there calls `signedOut` through the API client. */
  probe(): Promise<unknown>;
  /** The app starts: views, live feed. */
  onSignedIn(): void;
  /** The app stops. */
  onSignedOut(): void;
  /** False when the operator, asked about unsaved changes, chose to stay: Sign out does nothing. */
  mayLeave(): boolean;
}

export interface SessionControl {
  /** First load: use a `#token=` link if there is one, else check for a session cookie. */
  begin(): Promise<void>;
  /**
   * Shows the sign-in form (after a 401, or on sign-out). Without a message, one that says the
   * session ended is shown when the operator was signed in.
   */
  signedOut(message?: string): void;
}

export function sessionControl(shell: Shell, hooks: SessionHooks): SessionControl {
  let signedIn = false;

  const enter = () => {
    shell.signIn.hidden = true;
    shell.shell.hidden = false;
    shell.signOut.hidden = false;
    shell.liveIndicator.hidden = false;
    shell.signInToken.value = '';
    shell.signInError.textContent = '';
    if (!signedIn) {
      signedIn = true;
      hooks.onSignedIn();
    }
  };

  const signedOut = (message?: string) => {
    const text = message ?? (signedIn ? 'Your session has ended. Sign in again.' : '');
    if (signedIn) {
      signedIn = false;
      hooks.onSignedOut();
    }
    shell.shell.hidden = true;
    shell.signOut.hidden = true;
    // Signed out there is no live feed to report on: no "Offline" next to the sign-in form.
    shell.liveIndicator.hidden = true;
    shell.signIn.hidden = false;
    shell.signInError.textContent = text;
    shell.signInToken.focus();
  };

  const exchange = async (token: string) => {
    await createSession(token);
    enter();
  };

  shell.signInForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = shell.signInToken.value.trim();
    if (token === '') return;
    shell.signInSubmit.disabled = true;
    shell.signInError.textContent = '';
    exchange(token)
      .catch((error: unknown) => {
        shell.signInError.textContent = errorMessage(error);
        shell.signInToken.select();
      })
      .finally(() => {
        shell.signInSubmit.disabled = false;
      });
  });

  shell.signOut.addEventListener('click', () => {
    if (!hooks.mayLeave()) return;
    endSession()
      .then(() => signedOut('Signed out.'))
      .catch((error: unknown) => toast(`Sign-out failed: ${errorMessage(error)}`, { tone: 'error' }));
  });

  return {
    async begin() {
      const token = takeTokenFromUrl();
      if (token !== null) {
        try {
          await exchange(token);
          return;
        } catch (error) {
          signedOut(errorMessage(error));
          return;
        }
      }
      try {
        await hooks.probe();
        enter();
      } catch (error) {
        // A 401 has already shown the form; anything else (server down) is said on it.
        if (!(error instanceof ApiError && error.status === 401)) signedOut(errorMessage(error));
      }
    },
    signedOut,
  };
}
