package dev.drkit.cli;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The rules of DESIGN.md that a compiler does not check, over every drkit module on this module's classpath.
 */
class ArchitectureTest {

    static JavaClasses drkit;

    @BeforeAll
    static void importDrkit() {
        drkit = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.drkit");
        // Guard against rules passing on an empty import.
        assertThat(drkit.containPackage("dev.drkit.core.secret")).isTrue();
        assertThat(drkit.containPackage("dev.drkit.postgres.internal")).isTrue();
    }

    @Test
    void theCommandLineUsesOnlyPublicApi() {
        noClasses().that().resideInAPackage("dev.drkit.cli..")
            .should().dependOnClassesThat().resideInAPackage("..internal..")
            .check(drkit);
    }

    @Test
    void noModuleReachesIntoPostgresInternals() {
        noClasses().that().resideOutsideOfPackage("dev.drkit.postgres..")
            .should().dependOnClassesThat().resideInAPackage("dev.drkit.postgres.internal..")
            .check(drkit);
    }

    @Test
    void coreDependsOnNoOtherDrkitModule() {
        noClasses().that().resideInAPackage("dev.drkit.core..")
            .should().dependOnClassesThat().resideInAnyPackage(
                "dev.drkit.postgres..", "dev.drkit.backup..", "dev.drkit.secrets..", "dev.drkit.failover..",
                "dev.drkit.cli..")
            .check(drkit);
    }

    @Test
    void noPublicApiExposesAnInternalType() {
        List<String> exposed = new ArrayList<>();
        for (JavaClass type : drkit) {
            if (!type.getModifiers().contains(JavaModifier.PUBLIC) || type.getPackageName().contains(".internal")) {
                continue;
            }
            for (JavaCodeUnit member : type.getCodeUnits()) {
                if (!member.getModifiers().contains(JavaModifier.PUBLIC)) {
                    continue;
                }
                List<JavaClass> signature = new ArrayList<>(member.getRawParameterTypes());
                signature.add(member.getRawReturnType());
                signature.stream().filter(t -> t.getPackageName().contains(".internal"))
                    .forEach(t -> exposed.add(member.getFullName() + " uses " + t.getName()));
            }
        }
        assertThat(exposed).isEmpty();
    }
}
