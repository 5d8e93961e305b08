package dev.lanes.examples;

import dev.lanes.kernels.Lanes;

/** Prints what Lanes detected: {@code ./lanes info}. */
public final class Info {
    private Info() {}

    public static void main(String[] args) {
        System.out.println(Lanes.describe());
    }
}
