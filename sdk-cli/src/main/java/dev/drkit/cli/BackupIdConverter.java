package dev.drkit.cli;

import dev.drkit.backup.store.StoreNames;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A backup id as an option value, checked by the store's rule where the command line is read: a path or a stray
 * character pasted into {@code --id} is a usage error with the rule in its message, not a failure deep in a store.
 */
final class BackupIdConverter implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
        try {
            return StoreNames.check(value, "a backup id");
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
