/**
 * Reading and writing tensors in files. {@link dev.mixtape.engine.io.SafetensorsFile} maps a
 * safetensors file and reads its tensors after checking every header entry against the file;
 * {@link dev.mixtape.engine.io.SafetensorsWriter} writes one atomically. {@link dev.mixtape.engine.io.StrictJson}
 * is the one JSON reader of the project (Jackson, made strict): safetensors headers here, model and
 * adapter configs, tokenizers and data files in the modules above.
 */
package dev.mixtape.engine.io;
