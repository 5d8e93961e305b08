package dev.lanes.nn.io;

import java.io.IOException;

/**
 * A safetensors file that cannot be read as asked: malformed or inconsistent (its message names the file,
 * the tensor and the values at fault), holding a type Lanes does not read, or not fitting the module it is
 * loaded into. Nothing has been read into memory or into a module when it is thrown.
 */
public class SafetensorsException extends IOException {
    private static final long serialVersionUID = 1L;

    public SafetensorsException(String message) {
        super(message);
    }

    public SafetensorsException(String message, Throwable cause) {
        super(message, cause);
    }
}
