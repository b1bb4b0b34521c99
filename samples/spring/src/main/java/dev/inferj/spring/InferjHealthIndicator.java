package dev.inferj.spring;

import dev.inferj.Model;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/** Up, with the loaded model's name, architecture, session context and kernels. */
public final class InferjHealthIndicator extends AbstractHealthIndicator {
    private final Model model;

    public InferjHealthIndicator(Model model) {
        this.model = model;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        var info = model.info();
        builder.up().withDetail("model", info.name()).withDetail("architecture", info.architecture())
                .withDetail("contextLength", info.sessionContextLength()).withDetail("kernels", model.kernels());
    }
}
