/**
 * Who may be trusted, with Ed25519 (the JDK's): publisher keys and their signatures over packages
 * ({@link dev.javia.ota.protocol.trust.PublisherKeys}, {@link dev.javia.ota.protocol.trust.PublisherSignature}),
 * the key sets that rotate them ({@link dev.javia.ota.protocol.trust.PublisherKeySet}), the publisher's rollback
 * statements ({@link dev.javia.ota.protocol.trust.RollbackStatement}) and a device's proof of its own key
 * ({@link dev.javia.ota.protocol.trust.DeviceProof}). Each signature is over a message that starts with its
 * {@link dev.javia.ota.protocol.trust.SignaturePurpose}, so none can be used for another purpose.
 */
package dev.javia.ota.protocol.trust;
