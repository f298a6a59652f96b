import SluiceSandbox
import Testing

/// The configuration file: defaults from the seed, errors that name the field.
@Suite struct SandboxConfigurationTests {
    @Test func defaults_areThePublishedLimits() {
        let limits = SandboxConfiguration().limits
        #expect(limits[.sendgridRequests] == WindowLimit(allowed: 100, window: 60_000_000_000, text: "100/min"))
        #expect(limits[.stripeRequests]?.allowed == 100 && limits[.stripeRequests]?.window == 1_000_000_000)
        #expect(limits[.openaiRequests]?.allowed == 60 && limits[.openaiTokens]?.allowed == 90_000)
        #expect(limits[.twilioPerNumber]?.allowed == 1 && limits[.twilioPerNumber]?.window == 1_000_000_000)
    }

    @Test func file_setsLimitsFaultsAndSeed() throws {
        let configuration = try SandboxConfiguration(json: Array(#"""
            {"limits": {"stripe.requests": "25/s", "openai.tokens": "unlimited"},
             "faults": {"errorRatio": 0.25, "latency": "20ms", "endpoints": ["stripe.refunds"]}, "seed": 9}
            """#.utf8))
        #expect(configuration.limits[.stripeRequests]?.allowed == 25)
        #expect(configuration.limits[.openaiTokens] == nil)
        #expect(configuration.faults.errorRatio == 0.25 && configuration.faults.latency == 20_000_000)
        #expect(configuration.faults.endpoints == [.stripeRefunds])
        #expect(configuration.seed == 9)
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        let json: String
        let field: String
        var testDescription: String { field }
    }

    @Test(arguments: [
        Bad(json: #"{"limits": {"stripe.requests": "100/sec"}}"#, field: "limits.stripe.requests"),
        Bad(json: #"{"limits": {"stripe.requests": "1.5/s"}}"#, field: "limits.stripe.requests"),
        // Found by the `rate` fuzz target: a signed count was accepted.
        Bad(json: #"{"limits": {"stripe.requests": "+100/s"}}"#, field: "limits.stripe.requests"),
        Bad(json: #"{"limits": {"stripe": "100/s"}}"#, field: "limits.stripe"),
        Bad(json: #"{"seeed": 1}"#, field: "seeed"),
        Bad(json: #"{"faults": {"latency": "fast"}}"#, field: "faults.latency"),
        Bad(json: #"{"faults": {"dropRatio": -0.1}}"#, field: "faults.dropRatio"),
        Bad(json: #"{"keys": {"mailgun": "x"}}"#, field: "keys.mailgun"),
        Bad(json: #"[1, 2]"#, field: ""),
    ])
    func badFile_isRefusedNamingTheField(_ bad: Bad) {
        #expect {
            try SandboxConfiguration(json: Array(bad.json.utf8))
        } throws: { error in
            (error as? SandboxConfigurationError)?.field == bad.field
        }
    }

    @Test(arguments: [
        (#"{"faults": {"errorRatio": 2}}"#, #"faults.errorRatio: "2" is not accepted: it must be a number in 0.0…1.0"#),
        (#"{"seed": 1.5}"#, #"seed: "1.5" is not accepted: it must be a whole number"#),
        (#"{"limits": {"stripe.requests": "100/sec"}}"#,
         #"limits.stripe.requests: "100/sec" is not accepted: write a whole count per unit, like "100/min", "1/s" or "3/2s" (units: s, min, h, d)"#),
        (#"{"keys": {"stripe": 5}}"#, #"keys.stripe: "5" is not accepted: it must be a string"#),
        // A value of the wrong type is shown as JSON.
        (#"{"faults": {"endpoints": [true, null]}}"#,
         #"faults.endpoints[0]: "true" is not accepted: name an endpoint: sendgrid.mail_send, stripe.payment_intents, stripe.refunds, openai.chat_completions, twilio.messages, sandbox.echo"#),
        (#"{"faults": {"force429": [{"endpoint": "stripe.refunds", "x": {"a": [1, null]}}]}}"#,
         #"faults.force429[0].x: "{"a":[1,null]}" is not accepted: there is no such field; remove it"#),
        // Unknown fields are reported in key order, whatever the file's order.
        (#"{"zz": 1, "aa": "x"}"#, #"aa: "x" is not accepted: there is no such field; remove it"#),
        (#"[1, 2]"#, #""[1, 2]" is not accepted: it must be a JSON object, like {"errorRatio": 0.1}"#),
        // Strict JSON: a repeated key is refused, never resolved silently.
        (#"{"seed": 1, "seed": 2}"#, #""{"seed": 1, "seed": 2}" is not accepted: it must be a JSON object, like {"errorRatio": 0.1}"#),
    ])
    func badFile_errorNamesFieldValueAndFix(_ json: String, _ message: String) {
        #expect {
            try SandboxConfiguration(json: Array(json.utf8))
        } throws: { error in
            "\(error)" == message
        }
    }
}

@Suite struct WindowLimitParsingTests {
    @Test(arguments: [
        ("100/s", 100, 1_000_000_000), ("3/2s", 3, 2_000_000_000), ("90/min", 90, 60_000_000_000), ("5/10min", 5, 600_000_000_000),
    ] as [(String, UInt64, UInt64)])
    func aWindowOfSeveralUnits_isTheirSum(_ text: String, _ allowed: UInt64, _ window: UInt64) throws {
        let limit = try WindowLimit(parsing: text)
        #expect(limit.allowed == allowed && limit.window == window)
    }

    @Test(arguments: ["3/0s", "3/2", "3/-2s", "3/2 s", "3/1234567s", "3/s2", "5/999999d"])
    func aBadMultiple_isRefused(_ text: String) {
        #expect(throws: SandboxConfigurationError.self) { try WindowLimit(parsing: text) }
    }
}
