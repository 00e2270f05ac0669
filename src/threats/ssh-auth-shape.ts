/**
 * SSH authentication attempts inferred from packet sizes, as Zeek's SSH analyzer does for
 * ssh.log's auth_attempts/auth_success: after the key exchange every message is encrypted, but an
 * attempt is a client request followed by a server answer; every failure answer of one connection
 * has the same size (USERAUTH_FAILURE listing the same methods), and USERAUTH_SUCCESS, which
 * lists nothing, is smaller. A connection that logged in is not guessing, whatever came before.
 */

/** The unencrypted NEWKEYS message: 4-byte length, padding length, type 21, 10 bytes of padding. */
export const NEWKEYS_SIZE = 16;
/** A KEXINIT is at least this big; NEWKEYS counts only after the client has sent one. */
const KEXINIT_MIN = 200;
/** Rounds after the last failure that mean a session went on (the last one may be the disconnect). */
const SESSION_ROUNDS = 2;

export interface SshAuthShape {
  /** Authentication rounds after the service request (repeated service requests left out). */
  rounds: number;
  /** The connection logged in: a smaller answer than the failures, or a session after them. */
  success: boolean;
  /** Failure answers, less a first "none" method query; 0 when the connection logged in. */
  failedAttempts: number;
  /** The size of the failure answer. */
  failureSize: number;
}

/**
 * Reads a flow's packet shape (+ client, - server payload lengths). Null when the key exchange
 * is not visible (capture started mid-connection, not SSH).
 */
export function sshAuthShape(shape: readonly number[]): SshAuthShape | null {
  let i = 0, kexinit = false;
  for (; i < shape.length; i++) {
    if (shape[i] >= KEXINIT_MIN) kexinit = true;
    else if (kexinit && shape[i] === NEWKEYS_SIZE) break;
  }
  if (i >= shape.length) return null;
  // Rounds: one or more client packets (the largest stands for them), then the server's answer.
  const requests: number[] = [], replies: number[] = [];
  let pending = 0;
  for (i++; i < shape.length; i++) {
    const n = shape[i];
    if (n > 0) pending = Math.max(pending, n);
    else if (pending > 0) {
      requests.push(pending);
      replies.push(-n);
      pending = 0;
    }
  }
  const none = { rounds: 0, success: false, failedAttempts: 0, failureSize: 0 };
  if (requests.length < 2) return none;
  // The first round is the service request ("ssh-userauth"); some clients (paramiko) send it again per attempt.
  const serviceRequest = requests[0], serviceAccept = replies[0];
  const req: number[] = [], rep: number[] = [];
  for (let r = 1; r < requests.length; r++) {
    if (requests[r] === serviceRequest && replies[r] === serviceAccept) continue;
    req.push(requests[r]);
    rep.push(replies[r]);
  }
  if (req.length === 0) return none;
  const failureSize = rep[0];
  let failures = 0, last = -1, success = false;
  for (let r = 0; r < rep.length; r++) {
    if (rep[r] === failureSize) {
      failures++;
      last = r;
    } else if (rep[r] < failureSize) {
      success = true;
      break;
    }
  }
  if (!success && rep.length - 1 - last >= SESSION_ROUNDS) success = true;
  // OpenSSH and libssh ask with method "none" first: a request smaller than the password attempts after it.
  const noneQuery = req.length > 1 && req[0] < req[1] ? 1 : 0;
  return { rounds: req.length, success, failedAttempts: success ? 0 : Math.max(0, failures - noneQuery), failureSize };
}
