/**
 * Logback adapters of the {@link dev.drkit.secrets.LeakTripwire}: a filter that stops (or flags) log events
 * carrying a registered secret, and pattern converters that print messages and stack traces with every
 * registered secret redacted. Logback is an optional dependency; only this package uses it.
 *
 * <pre>{@code
 * <configuration>
 *   <conversionRule conversionWord="msg" class="dev.drkit.secrets.logback.RedactingMessageConverter"/>
 *   <conversionRule conversionWord="ex" class="dev.drkit.secrets.logback.RedactingThrowableConverter"/>
 *   <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
 *     <filter class="dev.drkit.secrets.logback.LeakFilter">
 *       <onMatch>NEUTRAL</onMatch> <!-- flag and let the redacting pattern print it; DENY (the default) drops it -->
 *     </filter>
 *     <encoder><pattern>%d %-5level %logger - %msg%n%ex</pattern></encoder>
 *   </appender>
 *   <root level="INFO"><appender-ref ref="OUT"/></root>
 * </configuration>
 * }</pre>
 */
@NullMarked
package dev.drkit.secrets.logback;

import org.jspecify.annotations.NullMarked;
