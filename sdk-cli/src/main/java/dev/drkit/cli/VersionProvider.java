package dev.drkit.cli;

import picocli.CommandLine.IVersionProvider;

/** Reads drkit's version from the jar manifest; says "development build" when run from classes. */
final class VersionProvider implements IVersionProvider {

    @Override
    public String[] getVersion() {
        String version = Drkit.class.getPackage().getImplementationVersion();
        return new String[] {
            "drkit " + (version == null ? "(development build)" : version),
            "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"
        };
    }
}
