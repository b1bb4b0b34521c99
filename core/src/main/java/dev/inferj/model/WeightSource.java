package dev.inferj.model;

/**
 * Where forward passes get a model's weights, which may change while the model runs (see
 * {@link WeightTiler}): a pass calls {@link #acquire} at its start, keeps what it got to its end,
 * then calls {@link #release}.
 */
public interface WeightSource {

    /** The weights as they are now. */
    TransformerWeights current();

    /** The weights for one forward pass, once it may run. */
    default TransformerWeights acquire() {
        return current();
    }

    /** Ends the pass begun by {@link #acquire}, on the same thread. */
    default void release() {
    }

    /** Weights that never change. */
    static WeightSource of(TransformerWeights weights) {
        return () -> weights;
    }
}
