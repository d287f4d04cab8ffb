/**
 * Reading and writing tensors in files. {@link dev.mixtape.engine.io.SafetensorsFile} maps a
 * safetensors file and reads its tensors after checking every header entry against the file;
 * {@link dev.mixtape.engine.io.SafetensorsWriter} writes one atomically. {@link dev.mixtape.engine.io.Json}
 * is the small strict JSON parser they (and model configs) use.
 */
package dev.mixtape.engine.io;
