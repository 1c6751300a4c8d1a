"""Picklist values and the small vocabulary the generated Salesforce orgs are made of (all immutable)."""

from __future__ import annotations

GRADES = ("A", "B", "C", "D")
MQL_STATUSES = ("disqualified", "lead", "engaged", "mql")
LIFECYCLE_STAGES = ("Subscriber", "Lead", "MQL", "SQL", "Opportunity", "Customer", "Evangelist", "Other")
LEAD_STATUSES = ("Open - Not Contacted", "Working - Contacted", "Nurturing", "MQL", "Closed - Converted",
                 "Closed - Not Converted")
RATINGS = ("Hot", "Warm", "Cold")
LEAD_SOURCES = ("Advertisement", "Employee Referral", "External Referral", "Partner", "Public Relations",
                "Seminar - Internal", "Seminar - Partner", "Trade Show", "Web", "Word of mouth", "Other")
INDUSTRIES = ("Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals", "Communications",
              "Construction", "Consulting", "Education", "Electronics", "Energy", "Engineering",
              "Entertainment", "Environmental", "Finance", "Food & Beverage", "Government", "Healthcare",
              "Hospitality", "Insurance", "Machinery", "Manufacturing", "Media", "Not For Profit",
              "Recreation", "Retail", "Shipping", "Technology", "Telecommunications", "Transportation",
              "Utilities", "Other")
CAMPAIGN_TYPES = ("Webinar", "Trade Show", "Email", "Content", "Website", "Conference", "Advertisement",
                  "Other")
CAMPAIGN_STATUSES = ("Planned", "In Progress", "Completed", "Aborted")
MEMBER_STATUSES = ("Sent", "Registered", "Attended", "Responded")
RESPONDED_STATUSES = frozenset({"Registered", "Attended", "Responded"})
TASK_SUBTYPES = ("Task", "Email", "ListEmail", "Cadence", "Call", "LinkedIn")
TASK_TYPES = ("Call", "Email", "Meeting", "Other")
TASK_STATUSES = ("Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred")
EVENT_TYPES = ("Meeting", "Call", "Email", "Other")

FIRST_NAMES = ("Ada", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kara",
               "Liam", "Maya", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera",
               "Wei", "Xenia", "Yusuf", "Zoe", "Amir", "Bianca", "Chen", "Dana", "Emil", "Fatima", "Gustav",
               "Hannah", "Ivan", "Julia", "Kenji", "Lena", "Marco", "Nadia", "Oscar", "Priya", "Rafael",
               "Sofia", "Tomas", "Ulla", "Victor", "Wanda", "Yara", "Zain")
LAST_NAMES = ("Smith", "Müller", "Garcia", "Chen", "Okafor", "Rossi", "Novak", "Kowalski", "Tanaka",
              "Johansson", "Dubois", "Silva", "Patel", "Kim", "Nguyen", "O'Brien", "Schmidt", "Haddad",
              "Ivanova", "Larsen", "Moreau", "Fischer", "Costa", "Yilmaz", "Andersen", "Weber", "Santos",
              "Walsh", "Fernandez", "Kaur", "Meyer", "Lopez", "Becker", "Hoffmann", "Nakamura", "Bauer")
NAME_PARTS = ("Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Tyrell", "Cyberdyne", "Soylent",
              "Hooli", "Vandelay", "Pied", "Massive", "Dynamic", "Blue", "North", "Bright", "Iron", "Silver",
              "Quantum", "Nimbus", "Vertex", "Summit", "Harbor", "Cedar", "Falcon", "Orbit", "Atlas",
              "Zenith", "Pioneer", "Keystone", "Sterling", "Aurora", "Beacon", "Cobalt", "Delta")
NAME_SUFFIXES = ("Systems", "Labs", "Industries", "Analytics", "Logistics", "Health", "Capital", "Software",
                 "Foods", "Energy", "Robotics", "Media", "Group", "Partners", "Networks", "Bio")
LEGAL_FORMS = ("Inc.", "GmbH", "Ltd", "LLC", "S.A.", "AG", "", "", "")
COUNTRIES = ("United States", "United States", "United States", "US", "USA", "Germany", "Germany",
             "United Kingdom", "UK", "France", "Canada", "Australia", "India", "Netherlands", "Brazil",
             "Japan", "Spain", "Sweden", "Singapore", "Switzerland")
FREE_MAIL = ("gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "gmx.de", "icloud.com")
COMPETITORS = ("rivalcrm.com", "scorewise.io", "leadsmith.com")
SENIOR_TITLES = ("VP of Marketing", "Vice President Sales", "Director of IT", "Head of Operations",
                 "Chief Technology Officer", "CFO", "Director, Demand Generation", "Head of Growth")
MID_TITLES = ("Marketing Manager", "Sales Operations Manager", "IT Manager", "Senior Software Engineer",
              "Product Manager", "RevOps Lead", "Procurement Manager", "Data Analyst", "Account Executive",
              "Marketing Specialist", "Business Analyst", "Office Manager")
JUNIOR_TITLES = ("Student", "Marketing Intern", "Intern", "PhD Student", "Working Student")
WEBINAR_TOPICS = ("Scaling RevOps", "Data Quality 101", "Forecasting in Practice", "AI for Sales Teams",
                  "Pipeline Hygiene", "Security Deep Dive", "Product Roadmap Live")
CONTENT_TITLES = ("Ebook: The MQL Playbook", "Whitepaper: Buyer Intent", "Case Study: Globex",
                  "Report: State of B2B Marketing", "Checklist: CRM Migration")
EVENT_NAMES = ("SaaStr Annual", "Dreamforce", "Web Summit", "CeBIT Hannover", "RevOps Summit")
EMAIL_NAMES = ("Newsletter", "Product Update", "Spring Promo", "Renewal Reminder")
EMAIL_SUBJECTS = ("Re: Pricing question", "Re: Follow-up on our call", "Intro", "Proposal attached",
                  "Re: Demo next week", "Checking in", "Re: Contract terms")
CALL_SUBJECTS = ("Call", "Discovery call", "Follow-up call", "Cold call", "Left voicemail")
MEETING_SUBJECTS = ("Meeting: Discovery", "Product demo", "Quarterly business review", "Pricing discussion",
                    "Technical deep dive")
