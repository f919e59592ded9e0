package dev.javia.ota.agent.update;

/** No update in hand. Offers arrive through {@link UpdateMachine#offer}. */
final class Idle extends UpdateState {

    static final String NAME = "idle";

    Idle() {
        super(NAME, null);
    }

    @Override
    UpdateState run(UpdateContext context) {
        return this;
    }

    @Override
    boolean installing() {
        return false;
    }
}
