package dev.goldpan.worker.model;

/** What a network is built for: input images of channels x height x width, and class count. */
public record NetworkShape(int channels, int height, int width, int classes) {}
