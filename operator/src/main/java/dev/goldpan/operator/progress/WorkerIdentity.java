package dev.goldpan.operator.progress;

/**
 * Who sent a progress report, as the API server vouches for its token: the pod the token was bound
 * to, and that pod's namespace.
 */
public record WorkerIdentity(String namespace, String podName, String podUid) {}
