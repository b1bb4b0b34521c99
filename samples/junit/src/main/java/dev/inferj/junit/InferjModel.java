package dev.inferj.junit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Which model {@link InferjExtension} injects into a {@code Model} or {@code Session} field or parameter: a GGUF
 * file, or (without one) a model forged with random weights in a real model's shape, for tests of the plumbing
 * around a model. Fields and parameters that name the same model share one load for the whole JVM.
 */
@Target({ElementType.FIELD, ElementType.PARAMETER})
@Retention(RetentionPolicy.RUNTIME)
public @interface InferjModel {
    /** A GGUF file, relative to the working directory; empty: forge {@link #forge()}. */
    String path() default "";

    /** The shape forged when there is no path: tiny, tiny-moe, small, ... (as {@code inferj forge --shape}). */
    String forge() default "tiny";

    /** The positions each session holds. */
    int contextLength() default 512;
}
