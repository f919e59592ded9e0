package dev.javia.ota.server.update;

import org.springframework.data.jpa.repository.JpaRepository;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

interface UpdateRepository extends JpaRepository<Update, UUID> {

    boolean existsByVersion(String version);

    Optional<Update> findFirstByOrderByVersionMajorDescVersionMinorDescVersionPatchDesc();

    List<Update> findAllByOrderByVersionMajorDescVersionMinorDescVersionPatchDesc();
}
