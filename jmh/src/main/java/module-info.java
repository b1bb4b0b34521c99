/**
 * JMH benchmarks of the hot loops. A named module so that what it reaches inside inferj is what the core and kernels
 * modules export to it by name; run from the shaded jar, it is on the class path.
 */
module dev.inferj.jmh {
    requires dev.inferj.core;
    requires jmh.core;

    // JMH instantiates the generated benchmark classes reflectively
    opens dev.inferj.jmh;
    opens dev.inferj.jmh.jmh_generated;
}
